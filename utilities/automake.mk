# utilities/: command-line tools.
