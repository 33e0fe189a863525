//! The decision is on the path of every access: it must parse nothing and
//! allocate nothing, whatever it is asked — the scope check included.

use grondslag_kernel::{Question, decide, reaches};
use grondslag_register::{Action, CategorySet, Role};

// req: E0.5
#[test]
fn a_decision_allocates_nothing() {
    let register = grondslag_register::parse(grondslag_register::SHIPPED_NAME, grondslag_register::SHIPPED).unwrap();
    let every_category: CategorySet = grondslag_register::Category::ALL.iter().copied().collect();
    let recipient = register.recipient_id("nam");
    let questions: Vec<Question> = register
        .processing_ids()
        .flat_map(|processing| {
            Role::ALL.iter().flat_map(move |role| {
                Action::ALL.iter().flat_map(move |action| {
                    [false, true].into_iter().map(move |restricted| Question {
                        role: *role,
                        action: *action,
                        processing,
                        categories: every_category,
                        restricted,
                        recipient,
                        legal_check_recorded: false,
                    })
                })
            })
        })
        .collect();
    let mut allowed = 0;
    let info = allocation_counter::measure(|| {
        for question in &questions {
            // With the scope check, over a relation that does not hold.
            let reached = decide(&register, *question).and_then(|a| reaches(a.scopes, false, |_| false));
            allowed += usize::from(reached.is_ok());
        }
    });
    assert_eq!(info.count_total, 0, "{} decisions allocated", questions.len());
    // Not vacuous: the counter does see an allocation.
    assert!(allocation_counter::measure(|| drop(std::hint::black_box(vec![1u8]))).count_total > 0);
    // Not vacuous: some questions are allowed and some denied.
    assert!(allowed > 0 && allowed < questions.len());
}
