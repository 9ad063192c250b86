// Tests for conf/storage_pool.cc: to be written.
