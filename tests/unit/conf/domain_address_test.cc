// Tests for conf/domain_address.cc: to be written.
