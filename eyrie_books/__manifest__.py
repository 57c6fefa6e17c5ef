{
    "name": "Eyrie Deployment Books",
    "summary": "Run Deployment Books on Kubernetes in the background, live on the deployment card",
    "version": "19.0.1.0.0",
    "category": "Services/Eyrie",
    "license": "LGPL-3",
    "author": "Eyrie",
    "maintainers": ["eyrie"],
    "website": "https://github.com/eyrie",
    "development_status": "Beta",
    "depends": ["eyrie", "queue_job", "bus"],
    "external_dependencies": {"python": ["kubernetes", "PyYAML"]},
    "data": [
        "security/ir.model.access.csv",
        "security/eyrie_books_security.xml",
        "views/eyrie_book_views.xml",
        "views/eyrie_job_views.xml",
        "views/eyrie_deployment_views.xml",
        "views/eyrie_cluster_views.xml",
        "data/queue_job_data.xml",
        "data/eyrie_book_data.xml",
    ],
    "demo": ["demo/eyrie_books_demo.xml"],
    "assets": {
        "web.assets_backend": [
            "eyrie_books/static/src/js/*.js",
            "eyrie_books/static/src/xml/*.xml",
        ],
        "web.assets_tests": [
            "eyrie_books/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
