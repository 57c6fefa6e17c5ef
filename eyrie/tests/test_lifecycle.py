from odoo.exceptions import UserError
from odoo.tests import Form

from odoo.addons.eyrie import lifecycle

from .common import EyrieCase

ACTIONS = {
    lifecycle.INITIALIZE: "action_initialize",
    lifecycle.DEPLOY: "action_deploy",
    lifecycle.PAUSE: "action_pause",
    lifecycle.DROP: "action_drop",
}
# A path of actions from draft that reaches each state.
PATHS = {
    lifecycle.DRAFT: [],
    lifecycle.INITIALIZE: ["action_initialize"],
    lifecycle.DEPLOY: ["action_initialize", "action_deploy"],
    lifecycle.PAUSE: ["action_initialize", "action_deploy", "action_pause"],
    lifecycle.DROP: ["action_drop"],
}


class TestLifecycle(EyrieCase):
    def deployment_in(self, state, **vals):
        self.counter = getattr(self, "counter", 0) + 1
        deployment = self.make_deployment(name=f"in-{state}-{self.counter}", **vals)
        for action in PATHS[state]:
            getattr(deployment, action)()
        self.assertEqual(deployment.state, state)
        return deployment

    def test_happy_path(self):
        deployment = self.make_deployment()
        self.assertEqual(deployment.state, "draft")
        self.assertIs(deployment.action_initialize(), True)
        self.assertEqual(deployment.state, "initialize")
        deployment.action_deploy()
        self.assertEqual(deployment.state, "deploy")
        deployment.action_deploy()  # re-deploy
        self.assertEqual(deployment.state, "deploy")
        deployment.action_pause()
        self.assertEqual(deployment.state, "pause")
        deployment.action_deploy()
        self.assertEqual(deployment.state, "deploy")
        deployment.action_drop()
        self.assertEqual(deployment.state, "drop")

    def test_every_move_follows_the_table(self):
        for current in PATHS:
            for target, method in ACTIONS.items():
                with self.subTest(current=current, target=target):
                    deployment = self.deployment_in(current)
                    if lifecycle.allowed(current, target):
                        getattr(deployment, method)()
                        self.assertEqual(deployment.state, target)
                    else:
                        with self.assertRaisesRegex(UserError, "Cannot move"):
                            getattr(deployment, method)()
                        self.assertEqual(deployment.state, current)

    def test_drop_needs_a_scope_that_allows_it(self):
        for state in (lifecycle.DRAFT, lifecycle.INITIALIZE, lifecycle.DEPLOY, lifecycle.PAUSE):
            with self.subTest(state=state):
                deployment = self.deployment_in(state, scope_id=self.production.id)
                with self.assertRaisesRegex(UserError, "does not allow dropping"):
                    deployment.action_drop()
                self.assertEqual(deployment.state, state)

    def test_a_refused_move_changes_no_record_of_the_batch(self):
        ready = self.deployment_in(lifecycle.INITIALIZE)
        draft = self.deployment_in(lifecycle.DRAFT)
        with self.assertRaises(UserError):
            (ready | draft).action_deploy()
        self.assertEqual((ready.state, draft.state), ("initialize", "draft"))

    def test_state_is_not_writable_directly(self):
        deployment = self.make_deployment()
        for env in (self.env, self.env(user=self.user), self.env(context={"eyrie_state_change": True})):
            with self.assertRaisesRegex(UserError, "only through its actions"):
                deployment.with_env(env).sudo().write({"state": "deploy"})
        with self.assertRaisesRegex(UserError, "starts in Draft"):
            self.make_deployment(name="other", state="deploy")
        self.assertEqual(deployment.state, "draft")

    def test_state_changes_are_tracked_in_the_chatter(self):
        deployment = self.make_deployment()
        self.env.cr.flush()  # as if created in an earlier request: no tracking on the creating one
        deployment.with_user(self.user).action_initialize()
        self.env.flush_all()
        self.env.cr.flush()  # mail tracking is written when the cursor flushes
        deployment.invalidate_recordset(["message_ids"])
        values = deployment.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "state"
        )
        self.assertEqual(values[:1].new_value_char, "Initialize")
        self.assertEqual(deployment.message_ids[:1].author_id, self.user.partner_id)

    def test_type_comes_from_the_group_and_cannot_be_written(self):
        deployment = self.make_deployment(kind="pgo")
        self.assertEqual(deployment.type, "pgo")
        with self.assertRaisesRegex(UserError, "takes its type from its group"):
            deployment.write({"type": "odoo"})
        self.assertEqual((deployment.type, self.groups["pgo"].type), ("pgo", "pgo"))
        with self.assertRaisesRegex(UserError, "takes its type from its group"):
            self.make_deployment(name="typed", kind="pgo", type="pxc")
        # The same type as the group is accepted and ignored.
        self.assertEqual(self.make_deployment(name="same", kind="pgo", type="pgo").type, "pgo")

    def test_group_type_is_fixed_once_it_has_deployments(self):
        self.make_deployment(kind="pxc")
        with self.assertRaisesRegex(UserError, "cannot change once it has deployments"):
            self.groups["pxc"].type = "pgo"
        empty = self.env["eyrie.deployment.group"].create({
            "name": "empty", "project_id": self.project.id, "type": "none",
        })
        empty.type = "odoo"
        self.assertEqual(empty.type, "odoo")

    def test_slug_is_fixed_after_draft(self):
        deployment = self.make_deployment(name="Web Shop")
        self.assertEqual(deployment.slug, "web-shop")
        self.assertEqual(deployment.namespace, "tp-odoo-group-web-shop")
        self.assertEqual(self.cluster._namespace_for(deployment), "ey-tp-odoo-group-web-shop")
        deployment.name = "Renamed"
        self.assertEqual(deployment.slug, "web-shop")
        deployment.action_initialize()
        with self.assertRaisesRegex(UserError, "only in Draft"):
            deployment.slug = "other"

    def test_the_form_of_a_new_deployment_offers_no_action(self):
        with Form(self.env["eyrie.deployment"]) as form:
            form.name = "from the form"
            form.group_id = self.groups["none"]
            form.scope_id = self.dev
            self.assertFalse(form.can_initialize)
        self.assertTrue(form.record.can_initialize)
