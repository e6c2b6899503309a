# tests/: unit tests (GoogleTest) and scenario tests that drive the real
# daemon with the real Open vSwitch tools.  Every test binary runs through
# build-aux/gtest-driver, which reports each test case to the automake
# harness, so the summary counts test cases.
LOG_DRIVER = $(SHELL) $(top_srcdir)/build-aux/gtest-driver
AM_TESTS_ENVIRONMENT = \
	BRAID_BUILDDIR='$(abs_top_builddir)'; export BRAID_BUILDDIR; \
	BRAID_SRCDIR='$(abs_top_srcdir)'; export BRAID_SRCDIR;
EXTRA_DIST += build-aux/gtest-driver

TESTS += tests/unit-tests
check_PROGRAMS += tests/unit-tests
tests_unit_tests_SOURCES = \
	tests/frame-builder.h \
	tests/test-bond-settings.cc \
	tests/test-bond-show.cc \
	tests/test-compose.cc \
	tests/test-coverage.cc \
	tests/test-csum.cc \
	tests/test-datapath.cc \
	tests/test-dp-bond.cc \
	tests/test-dp-flow-table.cc \
	tests/test-event-loop.cc \
	tests/test-flow.cc \
	tests/test-hash.cc \
	tests/test-json-framer.cc \
	tests/test-jsonrpc-message.cc \
	tests/test-jsonrpc.cc \
	tests/test-lacp-settings.cc \
	tests/test-lacp-show.cc \
	tests/lacp-net.h \
	tests/test-lacp-frames.cc \
	tests/test-lacp.cc \
	tests/test-mac-learning.cc \
	tests/test-memory.cc \
	tests/test-netdev-offload.cc \
	tests/test-ofproto.cc \
	tests/test-ovsdb-data.cc \
	tests/test-ovsdb-schema.cc \
	tests/test-ovsdb-session.cc \
	tests/test-packet-offload.cc \
	tests/test-rtnetlink.cc \
	tests/test-slow-protocols.cc \
	tests/test-unixctl-server.cc \
	tests/test-unixctl.cc \
	tests/test-util.h \
	tests/test-vlog.cc \
	tests/test-vswitchd-options.cc \
	tests/test-xmit-hash.cc \
	tests/unit-main.cc
tests_unit_tests_CPPFLAGS = $(AM_CPPFLAGS) $(GTEST_CFLAGS)
tests_unit_tests_LDADD = vswitchd/libvswitchd.a ofproto/libofproto.a lib/libbraid.a \
	$(GTEST_LIBS) $(FMT_LIBS) $(MNL_LIBS) -lpthread

TESTS += tests/scenario-tests
check_PROGRAMS += tests/scenario-tests
tests_scenario_tests_SOURCES = \
	tests/sandbox.cc \
	tests/sandbox.h \
	tests/scenario-bond.cc \
	tests/scenario-bridge.cc \
	tests/scenario-daemon.cc \
	tests/scenario-lacp.cc \
	tests/scenario-lacp.h \
	tests/scenario-lacp-bad.cc \
	tests/scenario-switch.cc \
	tests/unit-main.cc
tests_scenario_tests_CPPFLAGS = $(AM_CPPFLAGS) $(GTEST_CFLAGS)
tests_scenario_tests_LDADD = ofproto/libofproto.a lib/libbraid.a $(GTEST_LIBS) $(FMT_LIBS) $(MNL_LIBS) -lpthread

# Every ovs-appctl command has a man-page entry and a test.
TESTS += tests/check-commands.sh
EXTRA_DIST += tests/check-commands.sh

# Micro-benchmarks: built with the tests, run by hand (never timed in tests).
if HAVE_BENCHMARK
check_PROGRAMS += tests/bench-lib
tests_bench_lib_SOURCES = tests/bench-lib.cc tests/frame-builder.h
tests_bench_lib_CPPFLAGS = $(AM_CPPFLAGS) $(BENCHMARK_CFLAGS)
tests_bench_lib_LDADD = lib/libbraid.a $(BENCHMARK_LIBS) $(FMT_LIBS) $(MNL_LIBS) -lpthread
endif

# System tests: need root; the program puts itself in a private network
# namespace, so every interface it creates vanishes with it.  Without root
# it exits 77 and the harness reports SKIP.
TESTS += tests/system-tests
check_PROGRAMS += tests/system-tests
tests_system_tests_SOURCES = \
	tests/frame-builder.h \
	tests/sandbox.cc \
	tests/sandbox.h \
	tests/system-bond.cc \
	tests/system-bridge.cc \
	tests/system-helpers.h \
	tests/system-lacp.cc \
	tests/system-main.cc \
	tests/system-netdev.cc \
	tests/system-offload.cc \
	tests/system-switch.cc
tests_system_tests_CPPFLAGS = $(AM_CPPFLAGS) $(GTEST_CFLAGS)
tests_system_tests_LDADD = lib/libbraid.a $(GTEST_LIBS) $(FMT_LIBS) $(MNL_LIBS) -lpthread
EXTRA_DIST += tests/bench-vsctl.sh tests/bench-forward.sh
