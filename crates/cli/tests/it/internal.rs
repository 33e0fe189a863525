//! The staff statement and the call-centre protocol are for staff only
//! (the seed marks the one "Intern gebruik" and puts the other on the
//! intranet), and so is what the register says of their processings; the
//! public statement stays public.

use crate::server::{Client, Server, create_account, world};

const INTERNAL: [&str; 4] = [
    "/privacyverklaring?verklaring=staff",
    "/privacyverklaring?verklaring=kcc",
    "/privacyverklaring/versies?verklaring=staff",
    "/privacyverklaring/versies/2023.06?verklaring=staff",
];

// req: E0.9
// req: I.SEC
#[test]
fn the_staff_statement_and_the_protocol_are_served_to_staff_and_refused_to_anyone_else() {
    let world = world();
    let place = &world.place;
    let (anna, bert, pieter, carla) = (&world.anna, &world.bert, &world.privacy, &world.handler);
    let gert = create_account(place, "gert", "representative", None);
    let eva = create_account(place, "eva", "employee", None);
    let olaf = create_account(place, "olaf", "employee", None);
    let server = Server::start(world.dir.path(), &[]);

    // Anyone reads the public statement; an anonymous visitor is sent to
    // sign in for an internal one, and the register's API does not give
    // its processings' text.
    let mut anonymous = Client::new(&server);
    assert_eq!(anonymous.get("/privacyverklaring").status, 200);
    assert_eq!(anonymous.get("/processing_activities/fysieke_schade/versions").status, 200);
    for path in INTERNAL {
        let refused = anonymous.get(path);
        assert_eq!(refused.status, 303, "{path}");
        assert!(refused.header("location").unwrap().starts_with("/inloggen?terug="), "{path}");
        assert!(!refused.body.contains("Personeelsdossier") && !refused.body.contains("Doeleinden"));
    }
    for id in ["personeelsdossier", "kcc_opnames"] {
        for path in [format!("/processing_activities/{id}"), format!("/processing_activities/{id}/versions"), format!("/processing_activities/{id}/versions/1")]
        {
            let refused = anonymous.get(&path);
            assert_eq!(refused.status, 401, "{path}");
            assert_eq!(refused.json()["code"], "sign_in_first", "{path}");
        }
    }

    // Applicants (each of them) and representatives are not staff.
    for (person, role) in [(anna, "applicant"), (bert, "applicant"), (&gert, "representative")] {
        let mut client = Client::new(&server);
        assert_eq!(client.sign_in(person).status, 303);
        assert_eq!(client.get("/privacyverklaring").status, 200);
        for path in INTERNAL {
            let refused = client.get(path);
            assert_eq!(refused.status, 403, "{role} {path}");
            assert!(refused.body.contains("data-code=\"staff_only\""), "{}", refused.body);
            assert!(refused.body.contains("Dit document is voor intern gebruik") && !refused.body.contains("is not staff"), "{}", refused.body);
            assert!(!refused.body.contains("Welke gegevens verwerken we in je personeelsdossier?"));
        }
        let refused = client.get("/processing_activities/personeelsdossier/versions");
        assert_eq!(refused.status, 403);
        let problem = refused.json();
        assert_eq!(problem["code"], "staff_only");
        assert_eq!(
            problem["detail"],
            format!(
                "the Privacyverklaring voor medewerkers is for staff only (internal use), and role `{role}` is not staff; the public statement is at /privacyverklaring"
            )
        );
    }

    // Staff of every kind read both, whoever they are.
    for person in [&eva, &olaf, pieter, carla] {
        let mut client = Client::new(&server);
        assert_eq!(client.sign_in(person).status, 303);
        let staff = client.get(INTERNAL[0]);
        assert_eq!(staff.status, 200, "{}", person.username);
        assert!(staff.body.contains("Welke gegevens verwerken we in je personeelsdossier?"));
        let protocol = client.get(INTERNAL[1]);
        assert_eq!(protocol.status, 200);
        assert!(protocol.body.contains("Doeleinden"));
        assert_eq!(client.get("/processing_activities/personeelsdossier/versions").status, 200);
        // E21: the staff statement's own versions, with its own date.
        let versions = client.get(INTERNAL[2]);
        assert_eq!(versions.status, 200);
        assert!(versions.body.contains("Versie 2023.06") && versions.body.contains("1 juni 2023"), "{}", versions.body);
        let published = client.get(INTERNAL[3]);
        assert_eq!(published.status, 200);
        assert!(published.body.contains("Welke gegevens verwerken we in je personeelsdossier?"));
    }
}
