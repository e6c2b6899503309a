# utilities/: command-line tools.
bin_SCRIPTS += utilities/braid-ctl
CLEANFILES += utilities/braid-ctl
EXTRA_DIST += utilities/braid-ctl.in utilities/braid-demo

# Scripts get the configured directories substituted in.
do_subst = sed \
	-e 's|[@]BRAID_RUNDIR[@]|$(BRAID_RUNDIR)|g' \
	-e 's|[@]BRAID_LOGDIR[@]|$(BRAID_LOGDIR)|g' \
	-e 's|[@]BRAID_DBDIR[@]|$(BRAID_DBDIR)|g' \
	-e 's|[@]BRAID_SYSCONFDIR[@]|$(BRAID_SYSCONFDIR)|g' \
	-e 's|[@]BRAID_PKGDATADIR[@]|$(BRAID_PKGDATADIR)|g' \
	-e 's|[@]sbindir[@]|$(sbindir)|g' \
	-e 's|[@]PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g'

utilities/braid-ctl: utilities/braid-ctl.in Makefile
	$(AM_V_GEN)$(MKDIR_P) utilities && \
	$(do_subst) $(srcdir)/utilities/braid-ctl.in > $@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@
