# vswitchd/: the braid-vswitchd daemon.
sbin_PROGRAMS += vswitchd/braid-vswitchd
vswitchd_braid_vswitchd_SOURCES = vswitchd/braid-vswitchd.cc
vswitchd_braid_vswitchd_LDADD = vswitchd/libvswitchd.a lib/libbraid.a \
	$(FMT_LIBS) -lpthread

noinst_LIBRARIES += vswitchd/libvswitchd.a
vswitchd_libvswitchd_a_SOURCES = \
	vswitchd/options.cc \
	vswitchd/options.h
