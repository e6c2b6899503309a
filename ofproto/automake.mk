# ofproto/: the switches: bridges, ports and OpenFlow port numbers, MAC
# learning and the NORMAL action, the switching machinery shared by all
# bridges, and bonds with their LACP.
noinst_LIBRARIES += ofproto/libofproto.a
ofproto_libofproto_a_SOURCES = \
	ofproto/bond-commands.cc \
	ofproto/bond-lacp.cc \
	ofproto/bond-liveness.cc \
	ofproto/bond-liveness.h \
	ofproto/bond-monitor.cc \
	ofproto/bond-notify.cc \
	ofproto/bond-settings.cc \
	ofproto/bond-settings.h \
	ofproto/bond-show.cc \
	ofproto/bond-show.h \
	ofproto/bond-status.h \
	ofproto/bond.cc \
	ofproto/bond.h \
	ofproto/lacp-machines.cc \
	ofproto/lacp-selection.cc \
	ofproto/lacp-settings.cc \
	ofproto/lacp-settings.h \
	ofproto/lacp-show.cc \
	ofproto/lacp-show.h \
	ofproto/lacp.cc \
	ofproto/lacp.h \
	ofproto/mac-learning.cc \
	ofproto/mac-learning.h \
	ofproto/ofproto.cc \
	ofproto/ofproto.h \
	ofproto/switch.cc \
	ofproto/switch.h \
	ofproto/xlate.cc \
	ofproto/xlate.h
