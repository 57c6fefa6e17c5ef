{
    "name": "Eyrie Portal",
    "summary": "The /_eyrie portal pages: projects, deployment groups, deployments, their versions and live runs",
    "version": "19.0.1.0.0",
    "category": "Services/Eyrie",
    "license": "LGPL-3",
    "author": "Eyrie",
    "maintainers": ["eyrie"],
    "website": "https://github.com/eyrie",
    "development_status": "Beta",
    "depends": ["eyrie", "eyrie_books", "portal", "website"],
    "data": [
        "security/ir.model.access.csv",
        "security/eyrie_website_security.xml",
        "views/eyrie_project_views.xml",
        "views/eyrie_portal_templates.xml",
        "views/eyrie_portal_container_templates.xml",
        "views/eyrie_portal_database_templates.xml",
        "views/eyrie_portal_preview_templates.xml",
        "views/eyrie_health_templates.xml",
        "views/eyrie_portal_operate_templates.xml",
        "views/eyrie_run_templates.xml",
    ],
    "demo": ["demo/eyrie_website_demo.xml"],
    "assets": {
        "web.assets_frontend": [
            "eyrie_website/static/src/interactions/*.js",
        ],
        "web.assets_tests": [
            "eyrie_website/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
