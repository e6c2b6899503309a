# ofproto/: the switches: ports, OpenFlow port numbers, and (with the
# datapath, bonding and LACP issues) translation, bonds and LACP.
noinst_LIBRARIES += ofproto/libofproto.a
ofproto_libofproto_a_SOURCES = \
	ofproto/ofproto.cc \
	ofproto/ofproto.h
