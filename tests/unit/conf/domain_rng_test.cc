// Tests for conf/domain_rng.cc: to be written.
