"""The program: settings from the environment, the `telecoach` commands, the worker, migrations,
demo data, the graceful server, and the wiring that builds the parts from the settings and puts
them together into the web app (`create_app`). Everything else is built below it and knows
nothing of it: web/ is the face, rtc/, messaging/ and scheduler/ the services, coach/ the domain.
"""
