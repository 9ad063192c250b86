// Tests for conf/domain_chardev.cc: to be written.
