// Tests for conf/domain_memballoon.cc: to be written.
