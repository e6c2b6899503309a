# vswitchd/: the braid-vswitchd daemon.
sbin_PROGRAMS += vswitchd/braid-vswitchd
vswitchd_braid_vswitchd_SOURCES = vswitchd/braid-vswitchd.cc
vswitchd_braid_vswitchd_LDADD = vswitchd/libvswitchd.a ofproto/libofproto.a \
	lib/libbraid.a $(FMT_LIBS) $(MNL_LIBS) -lpthread

noinst_LIBRARIES += vswitchd/libvswitchd.a
vswitchd_libvswitchd_a_SOURCES = \
	vswitchd/bridge.cc \
	vswitchd/bridge.h \
	vswitchd/db-settings.cc \
	vswitchd/db-settings.h \
	vswitchd/options.cc \
	vswitchd/options.h
