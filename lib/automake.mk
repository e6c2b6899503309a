# lib/: the reusable core of Braid.
noinst_LIBRARIES += lib/libbraid.a
lib_libbraid_a_SOURCES = \
	lib/byte-order.h \
	lib/coverage.cc \
	lib/coverage.h \
	lib/csum.cc \
	lib/csum.h \
	lib/daemon.cc \
	lib/daemon.h \
	lib/dirs.cc \
	lib/dirs.h \
	lib/event-loop.cc \
	lib/event-loop.h \
	lib/flow.cc \
	lib/flow.h \
	lib/json-framer.cc \
	lib/json-framer.h \
	lib/jsonrpc-message.cc \
	lib/jsonrpc-message.h \
	lib/jsonrpc.cc \
	lib/jsonrpc.h \
	lib/memory.cc \
	lib/memory.h \
	lib/packet-compose.cc \
	lib/packet-compose.h \
	lib/packets.cc \
	lib/packets.h \
	lib/signals.cc \
	lib/signals.h \
	lib/slow-protocols.cc \
	lib/slow-protocols.h \
	lib/socket-util.cc \
	lib/socket-util.h \
	lib/stream.cc \
	lib/stream.h \
	lib/timeval.cc \
	lib/timeval.h \
	lib/unixctl-server.cc \
	lib/unixctl-server.h \
	lib/unixctl.cc \
	lib/unixctl.h \
	lib/util.cc \
	lib/util.h \
	lib/vlog.cc \
	lib/vlog.h
