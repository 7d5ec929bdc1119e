"""Private mail servers for the tests (Postfix instances on loopback, own directories)."""
