"""The embedded default: the domain on local adapters, in one process, for `pressrun publish`.

SQLite (`state.py`) holds the tables, the slug claims, the schedules and the work the cloud's queues
and streams would carry; the site folder is the site bucket (`site_folder.py`); uploads are a
versioned, content-addressed store (`uploads.py`); `dispatcher.py` runs the domain in the cloud
chain's order. Neither boto3 nor moto is imported here.
"""
