"""``statisfactory ui``: a read-only web app over a project and its run history.

Pages are rendered on the server (Jinja2) from what the session and the history store say; the
interactive DAG is drawn in the browser by Cytoscape.js, shipped in ``static/vendor``. Nothing
here runs a craft. Every value reaching a page or an API response goes through the project's
secrets (:func:`statisfactory.ui.masking.masked`).
"""
