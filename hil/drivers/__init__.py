"""Drivers: one job each (a process, a port, an instrument), explicit open/close."""
