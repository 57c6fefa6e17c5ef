"""Runs apply a version (``eyrie.job.version_id``, required): the runs made before there was one
applied what their deployment ran then, its current version."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("ALTER TABLE eyrie_job ADD COLUMN IF NOT EXISTS version_id integer")
    cr.execute("""
        UPDATE eyrie_job job SET version_id = deployment.current_version_id
          FROM eyrie_deployment deployment
         WHERE job.deployment_id = deployment.id AND job.version_id IS NULL
    """)
