// Tests for conf/domain_watchdog.cc: to be written.
