//! Grants reach only as far as their scope: for random registers, actors,
//! relations and questions, the kernel's decision (`decide`, then `reaches`
//! over the relations that hold) allows a question only if the register,
//! as written, gives the actor's role that action with a scope that
//! reaches the person asked about. The oracle reads the generated grants,
//! not the compiled register, so a compiler or decision bug shows.

use std::collections::BTreeSet;

use grondslag_kernel::{Denial, Question, decide, reaches};
use grondslag_register::{Action, Category, CategorySet, Role, Scope};
use proptest::prelude::*;

const CATEGORIES: [Category; 5] = [Category::Name, Category::Address, Category::Email, Category::Phone, Category::FreeText];
const ROLES: [Role; 5] = [Role::Applicant, Role::Representative, Role::CaseHandler, Role::Expert, Role::Coach];

/// One grant as written: a role, its actions, its scopes, its categories.
#[derive(Clone, Debug)]
struct Written {
    role: Role,
    actions: Vec<Action>,
    scopes: Vec<Scope>,
    categories: Vec<Category>,
}

#[derive(Clone, Debug)]
struct Processing {
    categories: Vec<Category>,
    grants: Vec<Written>,
}

fn subset<T: Clone + std::fmt::Debug + 'static>(all: &'static [T], at_least: usize) -> impl Strategy<Value = Vec<T>> {
    proptest::sample::subsequence(all.to_vec(), at_least..=all.len())
}

fn written(role: Role) -> impl Strategy<Value = Written> {
    // A role that acts for a person may not be given `all`: the register refuses it.
    let scopes: &'static [Scope] = if role.acts_for_a_person() {
        &[Scope::Own, Scope::Represented, Scope::Assigned, Scope::Coached]
    } else {
        &[Scope::Own, Scope::Represented, Scope::Assigned, Scope::Coached, Scope::All]
    };
    (subset(Action::ALL, 1), subset(scopes, 1), subset(&CATEGORIES, 1)).prop_map(move |(actions, scopes, categories)| Written {
        role,
        actions,
        scopes,
        categories,
    })
}

fn processing() -> impl Strategy<Value = Processing> {
    let grants = proptest::sample::subsequence(ROLES.to_vec(), 0..=ROLES.len()).prop_flat_map(|roles| roles.into_iter().map(written).collect::<Vec<_>>());
    (subset(&CATEGORIES, 1), grants).prop_map(|(categories, grants)| {
        // A role may be given only categories its processing holds.
        let grants = grants
            .into_iter()
            .map(|g| Written { categories: g.categories.into_iter().filter(|c| categories.contains(c)).collect(), ..g })
            .filter(|g| !g.categories.is_empty())
            .collect();
        Processing { categories, grants }
    })
}

fn names<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(", ")
}

fn toml(processings: &[Processing]) -> String {
    let mut text = String::from(
        r#"[register]
controller = "IMG"
base_uri = "https://register.example/pa"

[statement.public]
version = "1"
date = "2026-01-01"
[contact]
visit = "v"
post = "p"
email = "e@example.nl"
phone = "0800"
dpo_email = "fg@example.nl"
[[section]]
statement = "public"
number = 1
title = "t"
"#,
    );
    for (i, p) in processings.iter().enumerate() {
        text.push_str(&format!(
            "[[processing]]\nid = \"p{i}\"\nreq = \"E1\"\nstatement = \"public\"\nsection = 1\nname = \"p\"\npurpose = \"p\"\nbasis = \"public_task\"\ncategories = [{}]\nretention = {{ rule = \"permanent\" }}\nanalysis = \"a\"\n[processing.access]\n",
            names(&p.categories)
        ));
        for g in &p.grants {
            text.push_str(&format!(
                "{} = {{ actions = [{}], scope = [{}], categories = [{}] }}\n",
                g.role,
                names(&g.actions),
                names(&g.scopes),
                names(&g.categories)
            ));
        }
    }
    text
}

/// Who stands in which relation to whom: (person asked about, scope, actor).
type Relations = BTreeSet<(u8, Scope, u8)>;

fn relations() -> impl Strategy<Value = Relations> {
    proptest::collection::btree_set((0u8..3, proptest::sample::select(vec![Scope::Represented, Scope::Assigned, Scope::Coached]), 0u8..3), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    // req: I.SEC
    // req: E17
    #[test]
    fn a_decision_is_allowed_only_where_a_grant_of_the_role_with_a_matching_scope_exists(
        processings in proptest::collection::vec(processing(), 1..4),
        relations in relations(),
        role in proptest::sample::select(ROLES.to_vec()),
        actor in 0u8..3,
        target in 0u8..3,
        which in 0usize..4,
        action in proptest::sample::select(Action::ALL.to_vec()),
        asked in subset(&CATEGORIES, 1),
    ) {
        let register = grondslag_register::parse("random.toml", &toml(&processings)).unwrap();
        let index = which % processings.len();
        let id = register.processing_id(&format!("p{index}")).unwrap();
        let question = Question {
            role,
            action,
            processing: id,
            categories: CategorySet::of(&asked),
            restricted: false,
            recipient: None,
            legal_check_recorded: false,
        };
        let holds = |scope: Scope| relations.contains(&(target, scope, actor));
        let decided = decide(&register, question).and_then(|allowed| reaches(allowed.scopes, actor == target, holds).map(|()| allowed));

        // The oracle: the grants as written.
        let granted = processings[index].grants.iter().find(|g| g.role == role && g.actions.contains(&action));
        let in_reach = granted.is_some_and(|g| {
            g.scopes.iter().any(|s| match s {
                Scope::All => true,
                Scope::Own => actor == target,
                other => holds(*other),
            })
        });
        match decided {
            Ok(allowed) => {
                prop_assert!(in_reach, "allowed without a grant reaching person {target} from {actor}: {allowed:?}");
                let g = granted.unwrap();
                let written: CategorySet = g.categories.iter().copied().collect();
                if action == Action::Read {
                    prop_assert!(allowed.categories.is_subset(written), "read {:?} beyond the grant {:?}", allowed.categories, written);
                }
            }
            Err(Denial::RoleNotAllowed { .. }) => prop_assert!(granted.is_none(), "refused a role that has the grant"),
            Err(Denial::OutOfReach { scope }) => {
                prop_assert!(granted.is_some() && !in_reach, "refused for reach although the grant reaches");
                prop_assert!(granted.unwrap().scopes.contains(&scope), "the refusal names a scope the grant does not have: {scope}");
            }
            // Refusals for the categories asked: the grant exists but not for these.
            Err(Denial::NothingGranted { .. } | Denial::CategoryNotGranted { .. } | Denial::Undeclared(_)) => prop_assert!(granted.is_some()),
            Err(other) => prop_assert!(false, "unexpected refusal {other:?}"),
        }
    }
}
