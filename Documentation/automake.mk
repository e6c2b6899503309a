# Documentation/: guides and man pages.
dist_man_MANS += \
	Documentation/braid-ctl.8 \
	Documentation/braid-vswitchd.8
EXTRA_DIST += DEVELOPERS.md
EXTRA_DIST += \
	Documentation/bonding.md
