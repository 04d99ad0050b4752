"""The board layer on labgrid: a LaunchPad described as labgrid resources, driven by drivers of ours.

labgrid finds resource and driver classes by name in its global ``target_factory``; importing
``hil.lab.classes`` registers ours there (an environment file can do it with ``imports:
[hil.lab.classes]``). ``hil.lab.address`` has no labgrid import, so emulator runs never load it.
How a lab is set up is in docs/board-setup.md.
"""
