"""Import to register the LaunchPad's resources, drivers and strategy with labgrid's target_factory."""

from hil.lab import flash_driver, frame_driver, resources, strategy, supply_driver  # noqa: F401

NAMES = ("MSP430Probe", "NetworkMSP430Probe", "ScpiSupplyPort", "SeriesResistor",  # resources
         "MspdebugDriver", "ScpiSupplyDriver", "FrameDriver", "MSP430Strategy")  # drivers, strategy
