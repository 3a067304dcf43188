"""Swagger UI 5.35.0 (npm ``swagger-ui-dist``), vendored so that ``/docs`` needs no CDN.

Licence: Apache License 2.0 (``LICENSE`` and ``NOTICE`` in this folder; third-party notices of
the bundle in ``swagger-ui-bundle.js.LICENSE.txt``). Only ``swagger-ui-bundle.js`` and
``swagger-ui.css`` are served. To update: ``npm pack swagger-ui-dist@<version>`` and copy
those files (with the licence files) here.
"""
