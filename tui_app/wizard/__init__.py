"""The wizard's flow and session, without Textual: what the screens render and forward to.

``flow`` is the table of steps; ``session.WizardSession`` holds the choices and does every
action a step needs (connect, search, choose, load robots, plan, start, follow, save).
"""
