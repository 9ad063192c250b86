// Tests for conf/network.cc: to be written.
