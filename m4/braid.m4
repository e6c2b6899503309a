# Braid's own configure checks.

# BRAID_ENABLE_WARNING(FLAG)
# Adds FLAG to WARNING_FLAGS if the C++ compiler accepts it.  Warnings are
# added one per line so that each is easy to see, drop or add.
AC_DEFUN([BRAID_ENABLE_WARNING],
  [AX_CHECK_COMPILE_FLAG([$1], [WARNING_FLAGS="$WARNING_FLAGS $1"], [],
                         [-Werror])])

AC_DEFUN([BRAID_ENABLE_WARNINGS],
  [WARNING_FLAGS=
   BRAID_ENABLE_WARNING([-Wall])
   BRAID_ENABLE_WARNING([-Wextra])
   BRAID_ENABLE_WARNING([-Wshadow])
   BRAID_ENABLE_WARNING([-Wpointer-arith])
   BRAID_ENABLE_WARNING([-Wformat=2])
   BRAID_ENABLE_WARNING([-Wmissing-declarations])
   BRAID_ENABLE_WARNING([-Wnon-virtual-dtor])
   BRAID_ENABLE_WARNING([-Woverloaded-virtual])
   BRAID_ENABLE_WARNING([-Wimplicit-fallthrough])
   BRAID_ENABLE_WARNING([-Wvla])
   AC_SUBST([WARNING_FLAGS])])

# --enable-werror: turn every warning into an error.
AC_DEFUN([BRAID_ENABLE_WERROR],
  [AC_ARG_ENABLE([werror],
     [AS_HELP_STRING([--enable-werror], [treat compiler warnings as errors])],
     [], [enable_werror=no])
   AS_IF([test "$enable_werror" = yes],
         [WARNING_FLAGS="$WARNING_FLAGS -Werror"])])

# --enable-asan: build everything with AddressSanitizer and
# UndefinedBehaviorSanitizer.
AC_DEFUN([BRAID_ENABLE_ASAN],
  [AC_ARG_ENABLE([asan],
     [AS_HELP_STRING([--enable-asan],
                     [build with AddressSanitizer and UndefinedBehaviorSanitizer])],
     [], [enable_asan=no])
   SANITIZER_FLAGS=
   AS_IF([test "$enable_asan" = yes],
     [SANITIZER_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
      save_CXXFLAGS=$CXXFLAGS
      CXXFLAGS="$CXXFLAGS $SANITIZER_FLAGS"
      save_LDFLAGS=$LDFLAGS
      LDFLAGS="$LDFLAGS $SANITIZER_FLAGS"
      AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])], [],
        [AC_MSG_ERROR([the compiler cannot build with $SANITIZER_FLAGS])])
      CXXFLAGS=$save_CXXFLAGS
      LDFLAGS=$save_LDFLAGS
      dnl GCC's -Wmaybe-uninitialized misfires on sanitizer-instrumented
      dnl standard library code (std::regex, std::function).
      AX_CHECK_COMPILE_FLAG([-Wno-maybe-uninitialized],
        [WARNING_FLAGS="$WARNING_FLAGS -Wno-maybe-uninitialized"], [], [-Werror])])
   AC_SUBST([SANITIZER_FLAGS])])

# The directories shared with the Open vSwitch tools.  The defaults are the
# ones Debian's openvswitch packages were built with, so that the stock
# ovs-vsctl, ovs-appctl and ovs-ofctl find Braid without options.  Each can
# be overridden at run time with the same environment variables as OVS
# (OVS_RUNDIR, OVS_LOGDIR, OVS_DBDIR, OVS_SYSCONFDIR, OVS_PKGDATADIR).
AC_DEFUN([BRAID_CHECK_DIRS],
  [AC_ARG_WITH([ovs-rundir],
     [AS_HELP_STRING([--with-ovs-rundir=DIR],
                     [run directory for sockets and pidfiles (/var/run/openvswitch)])],
     [BRAID_RUNDIR=$withval], [BRAID_RUNDIR=/var/run/openvswitch])
   AC_ARG_WITH([ovs-logdir],
     [AS_HELP_STRING([--with-ovs-logdir=DIR],
                     [log directory (/var/log/openvswitch)])],
     [BRAID_LOGDIR=$withval], [BRAID_LOGDIR=/var/log/openvswitch])
   AC_ARG_WITH([ovs-dbdir],
     [AS_HELP_STRING([--with-ovs-dbdir=DIR],
                     [database directory (/etc/openvswitch)])],
     [BRAID_DBDIR=$withval], [BRAID_DBDIR=/etc/openvswitch])
   AC_ARG_WITH([ovs-sysconfdir],
     [AS_HELP_STRING([--with-ovs-sysconfdir=DIR],
                     [system configuration directory (/etc)])],
     [BRAID_SYSCONFDIR=$withval], [BRAID_SYSCONFDIR=/etc])
   AC_ARG_WITH([ovs-pkgdatadir],
     [AS_HELP_STRING([--with-ovs-pkgdatadir=DIR],
                     [where vswitch.ovsschema lives (/usr/share/openvswitch)])],
     [BRAID_PKGDATADIR=$withval], [BRAID_PKGDATADIR=/usr/share/openvswitch])
   AC_SUBST([BRAID_RUNDIR])
   AC_SUBST([BRAID_LOGDIR])
   AC_SUBST([BRAID_DBDIR])
   AC_SUBST([BRAID_SYSCONFDIR])
   AC_SUBST([BRAID_PKGDATADIR])])
