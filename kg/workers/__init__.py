"""The server runtime: query worker processes, their wire protocol, the fork server and the operations."""
