// Tests for conf/capabilities.cc: to be written.
