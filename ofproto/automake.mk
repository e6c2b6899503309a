# ofproto/: OpenFlow tables, translation (the NORMAL action with MAC learning
# and VLANs), bonding, LACP and link monitors.  The datapath, bonding and
# LACP issues fill this folder; nothing is built from it yet.
