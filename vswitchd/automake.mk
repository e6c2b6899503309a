# vswitchd/: the braid-vswitchd daemon.
