"""The `kclone` command line: thin click commands over the library."""
