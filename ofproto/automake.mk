# ofproto/: the switches: bridges, ports and OpenFlow port numbers, MAC
# learning and the NORMAL action, the switching machinery shared by all
# bridges; bonding and LACP arrive with their issues.
noinst_LIBRARIES += ofproto/libofproto.a
ofproto_libofproto_a_SOURCES = \
	ofproto/mac-learning.cc \
	ofproto/mac-learning.h \
	ofproto/ofproto.cc \
	ofproto/ofproto.h \
	ofproto/switch.cc \
	ofproto/switch.h \
	ofproto/xlate.cc \
	ofproto/xlate.h
