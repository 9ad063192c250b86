// Tests for conf/domain_disk.cc: to be written.
