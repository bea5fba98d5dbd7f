"""Each service built from `Settings`: the real transport, bus or runner, or its embedded one."""
