# Documentation/: guides and man pages.
