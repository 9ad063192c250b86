// Tests for conf/domain_net.cc: to be written.
