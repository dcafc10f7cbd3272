"""mattes.people: alpha mattes of people (MODNet), at full resolution and steady from frame to frame."""
