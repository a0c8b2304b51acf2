"""The transactional producer: state machine (`state`), requests (`requests`), the offsets and
group forms `send_offsets_to_transaction` accepts (`offsets`), the manager that talks to the
coordinators (`manager`), and the public methods the `Producer` exposes (`api`)."""
