// Tests for conf/domain.cc: to be written.
