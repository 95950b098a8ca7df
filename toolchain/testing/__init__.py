"""Test helpers shipped with the toolchain: a faulty TCP relay and a fake protocol device."""
