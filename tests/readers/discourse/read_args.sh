#!/usr/bin/env bash
# The shell half of Discourse's ./launcher reading its Ruby step's output into `docker run` arguments
# (the Ruby half is ruby/discourse_launcher.rb). Written for these tests from the launcher's documented
# behaviour (discourse/discourse_docker `launcher`, set_template_info):
#
# - the output is captured with command substitution (trailing newlines dropped) and fed to a
#   `while read` loop through a here-string;
# - `read` runs WITHOUT -r and with the default IFS: a backslash escapes the next character (and is
#   dropped), a backslash at the end of a line joins the next line, blanks around the line are stripped;
# - an empty line is skipped, the line "*ERROR." marks a YAML syntax error, every other line is one
#   argument, with each "{{config}}" in it replaced by the config name.
#
# Usage: read_args.sh CONFIG_NAME FILE...  (each FILE holds one Ruby output). For each FILE prints
# "ok=1" or "ok=0", a NUL, every argument followed by a NUL, and one more NUL.
set -u
config_name=$1
shift
for output_file in "$@"; do
    printed=$(cat -- "$output_file")
    arguments=()
    status=1
    # shellcheck disable=SC2162  # no -r: the launcher's read drops backslashes, which is what is modelled
    while read line; do
        if [ "$line" == "*ERROR." ]; then
            status=0
        elif [ -n "$line" ]; then
            arguments+=("${line//\{\{config\}\}/${config_name}}")
        fi
    done <<< "$printed"
    printf 'ok=%s\0' "$status"
    for argument in "${arguments[@]}"; do
        printf '%s\0' "$argument"
    done
    printf '\0'
done
