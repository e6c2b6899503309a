# lib/: the reusable core of Braid.
noinst_LIBRARIES += lib/libbraid.a
lib_libbraid_a_SOURCES = \
	lib/byte-order.h \
	lib/flow.cc \
	lib/flow.h \
	lib/packets.cc \
	lib/packets.h
