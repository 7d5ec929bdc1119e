"""A throwaway MariaDB server for the coreBOS tests (see pytest_plugin.py)."""
