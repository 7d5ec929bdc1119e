"""python-dotenv and django-environ, each read as an application calls it, in a process of its own.

Run as ``python dotenv_readers.py MODE`` with MODE ``python-dotenv`` or ``django-environ``; stdin is a JSON
array of file paths; stdout a JSON array of ``{"values": {...}}`` or ``{"error": "..."}``. The process
environment is the one the caller chose: both libraries look variables up there.

- python-dotenv: ``dotenv_values(path)`` (interpolation on, the default of ``load_dotenv``/``dotenv_values``).
  A key without ``=`` reads as None.
- django-environ: ``environ.Env.read_env(path)`` (the default call: ``overwrite=False``,
  ``parse_comments=False``), then ``env.str(KEY)`` for every key the file set, as a settings module does
  (``env('KEY')`` and ``env.str('KEY')`` are the same lookup, including the ``$OTHER`` proxy rule).
  A key whose lookup raises is reported as ``{"__error__": message}``.
"""

import json
import os
import sys


def read_python_dotenv(path):
    import dotenv

    return dotenv.dotenv_values(path)


def read_django_environ(path):
    import environ

    before = dict(os.environ)
    try:
        environ.Env.read_env(path)
        env = environ.Env()
        values = {}
        for key in os.environ:
            if key in before:
                continue
            try:
                values[key] = env.str(key)
            except Exception as exc:  # noqa: BLE001 -- the app would fail at this lookup: report it
                values[key] = {"__error__": "%s: %s" % (type(exc).__name__, exc)}
        return values
    finally:
        os.environ.clear()
        os.environ.update(before)


READERS = {"python-dotenv": read_python_dotenv, "django-environ": read_django_environ}


def main():
    reader = READERS[sys.argv[1]]
    answers = []
    for path in json.load(sys.stdin):
        try:
            answers.append({"values": reader(path)})
        except Exception as exc:  # noqa: BLE001 -- reported per file, the batch goes on
            answers.append({"error": "%s: %s" % (type(exc).__name__, exc)})
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
