"""Character motion (detect.pose): BlazePose GHUM landmarks of every person, tracked from plate to armature."""
