//! The closed taxonomy of data categories, roles and actions.
//!
//! These are code, not configuration: the register may only use these names,
//! so that the kernel's decision tables are fixed-size bitsets and a typo in
//! the register is an error, not a new category nobody enforces.

use std::fmt;
use std::str::FromStr;

/// How sensitive a category is; decides encryption and the art. 9 check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sensitivity {
    /// Any other personal data.
    Ordinary,
    /// The citizen service number: found only through the blind index.
    NationalId,
    /// Bank details.
    Financial,
    /// A special category of AVG art. 9: needs an art. 9(2) ground.
    Special,
    /// Never stored in a recoverable form (passwords: hash only).
    HashOnly,
    /// Secret by law or by nature (a vote, custody, a signature, recordings).
    Confidential,
}

impl Sensitivity {
    /// The sensitivity as the statement names it, in Dutch.
    pub fn label_nl(self) -> &'static str {
        match self {
            Sensitivity::Ordinary => "gewoon",
            Sensitivity::NationalId => "identificatienummer",
            Sensitivity::Financial => "financieel",
            Sensitivity::Special => "bijzonder (art. 9 AVG)",
            Sensitivity::HashOnly => "alleen als hash",
            Sensitivity::Confidential => "vertrouwelijk",
        }
    }
}

macro_rules! categories {
    ($($variant:ident = $name:literal, $sens:ident, $label:literal;)*) => {
        /// A category of personal data from the closed taxonomy of REQUIREMENTS.md.
        // No `#[repr(u8)]`: nothing needs a category as a byte, and the
        // taxonomy may grow past 256 without a narrowing to overflow.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Category { $(#[doc = concat!("`", $name, "`: ", $label, ".")] $variant),* }

        impl Category {
            /// Every category, in taxonomy order.
            pub const ALL: &'static [Category] = &[$(Category::$variant),*];

            /// The category's register name, e.g. `bank_account`.
            pub fn name(self) -> &'static str {
                match self { $(Category::$variant => $name),* }
            }

            /// How sensitive it is.
            pub fn sensitivity(self) -> Sensitivity {
                match self { $(Category::$variant => Sensitivity::$sens),* }
            }

            /// The Dutch description used in the public statement.
            pub fn label_nl(self) -> &'static str {
                match self { $(Category::$variant => $label),* }
            }

            /// The category by its register name.
            pub fn from_name(name: &str) -> Option<Category> {
                match name { $($name => Some(Category::$variant),)* _ => None }
            }
        }
    };
}

categories! {
    Name = "name", Ordinary, "voor- en achternaam";
    Initials = "initials", Ordinary, "voorletters";
    CompanyName = "company_name", Ordinary, "bedrijfsnaam";
    Address = "address", Ordinary, "straat en huisnummer";
    PostcodeCity = "postcode_city", Ordinary, "postcode en woonplaats";
    CadastralBuilding = "cadastral_building", Ordinary, "kadastrale en bouwkundige gegevens";
    Phone = "phone", Ordinary, "telefoonnummer";
    Email = "email", Ordinary, "e-mailadres";
    Bsn = "bsn", NationalId, "burgerservicenummer (BSN)";
    Kvk = "kvk", Ordinary, "KvK-nummer";
    BankAccount = "bank_account", Financial, "bankgegevens";
    BirthDate = "birth_date", Ordinary, "geboortedatum";
    Gender = "gender", Ordinary, "geslacht";
    CaseNumber = "case_number", Ordinary, "zaaknummer";
    OtherInclPhotos = "other_incl_photos", Ordinary, "overige gegevens die nodig zijn om te beslissen, inclusief foto's";
    Health = "health", Special, "gegevens over gezondheid";
    HouseholdHealth = "household_health", Special, "gegevens over de gezondheid van gezinsleden";
    HouseholdAwards = "household_awards", Ordinary, "toegekende vergoedingen aan gezinsleden";
    Custody = "custody", Confidential, "gegevens over het gezag over een kind";
    AwardAmount = "award_amount", Financial, "toegekend bedrag";
    Signature = "signature", Confidential, "handtekening";
    FreeText = "free_text", Ordinary, "vrije tekst die je zelf invult";
    Username = "username", Ordinary, "gebruikersnaam";
    Password = "password", HashOnly, "wachtwoord (alleen versleuteld als hash)";
    DamageHistory = "damage_history", Ordinary, "eerdere schademeldingen";
    CameraFootage = "camera_footage", Confidential, "camerabeelden";
    FootageMeta = "footage_meta", Ordinary, "tijd, datum en plaats van camerabeelden";
    CallRecording = "call_recording", Confidential, "opname van het telefoongesprek";
    CallMeta = "call_meta", Ordinary, "gegevens over het gesprek (tijd, duur, nummer)";
    Vote = "vote", Confidential, "stem";
    Nationality = "nationality", Ordinary, "nationaliteit";
    BirthPlace = "birth_place", Ordinary, "geboorteplaats";
    Function = "function", Ordinary, "functie";
    PartnerData = "partner_data", Ordinary, "gegevens van je partner";
    Vog = "vog", Confidential, "Verklaring Omtrent het Gedrag";
    Oath = "oath", Ordinary, "afleggen van de ambtseed of belofte";
    CvDocuments = "cv_documents", Ordinary, "cv, motivatiebrief, diploma's, getuigschriften en kopie paspoort";
    AbsenceLeave = "absence_leave", Ordinary, "verzuim- en verlofgegevens";
    EmploymentHistory = "employment_history", Ordinary, "arbeidsverleden bij de Staat";
    ContractType = "contract_type", Ordinary, "soort contract";
    Fte = "fte", Ordinary, "fte";
    SalaryScale = "salary_scale", Financial, "salarisschaal";
    FunctionGroup = "function_group", Ordinary, "functiegroep";
    Hours = "hours", Ordinary, "uren";
    Department = "department", Ordinary, "afdeling";
    ProfileOptional = "profile_optional", Ordinary, "aanvullende profielgegevens die je zelf kiest";
    SurveyAnswers = "survey_answers", Ordinary, "antwoorden op de vragenlijst";
    ViewLog = "view_log", Ordinary, "wie wat wanneer heeft bekeken";
    Valuation = "valuation", Financial, "waardebepaling van het pand";
    Financial = "financial", Financial, "financiële gegevens (kosten, toegekende bedragen)";
    Bag = "bag", Ordinary, "BAG-gegevens (gebouw en adres)";
    ProcedureStatus = "procedure_status", Ordinary, "stand van een bezwaar- of gerechtelijke procedure";
    ContactHistory = "contact_history", Ordinary, "contacthistorie";
    ExpertIdentity = "expert_identity", Ordinary, "naam en functie van de schadedeskundige";
    DossierNumber = "dossier_number", Ordinary, "dossiernummer";
    AssignedContact = "assigned_contact", Ordinary, "vaste contactpersoon";
    SystemUser = "system_user", Ordinary, "gebruikers en rechten in informatiesystemen";
    SecondFactor = "second_factor", Confidential, "sleutel voor de tweede inlogstap (authenticator-app)";
    RecoveryCodes = "recovery_codes", Confidential, "herstelcodes voor de tweede inlogstap (alleen als hash)";
}

impl Category {
    /// Sensitive values are additionally kept out of logs and exports to
    /// parties that do not need them; every field is encrypted at rest anyway.
    pub fn is_special(self) -> bool {
        self.sensitivity() == Sensitivity::Special
    }

    /// The position in `ALL` (the variants take their declaration order, so
    /// `ALL[c.index()] == c`; `CategorySet` checks this at compile time): the
    /// category's bit in a `CategorySet`.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// What an account signs in with and acts as: kept out of every
    /// rights-request change.
    pub fn is_sign_in_data(self) -> bool {
        matches!(self, Category::Username | Category::Password | Category::SecondFactor | Category::RecoveryCodes | Category::SystemUser)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! closed_enum {
    ($(#[$meta:meta])* $ty:ident { $($variant:ident = $name:literal, $label:literal;)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum $ty { $(#[doc = concat!("`", $name, "`: ", $label, ".")] $variant),* }

        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            /// The register name, e.g. `case_handler`.
            pub fn name(self) -> &'static str {
                match self { $($ty::$variant => $name),* }
            }

            /// The Dutch name the statement uses.
            pub fn label_nl(self) -> &'static str {
                match self { $($ty::$variant => $label),* }
            }

            /// The value by its register name.
            pub fn from_name(name: &str) -> Option<$ty> {
                match name { $($name => Some($ty::$variant),)* _ => None }
            }

            /// The position in `ALL`: an index into fixed-size tables.
            pub fn index(self) -> usize {
                self as usize
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

closed_enum! {
    /// Who is acting. The role opens a door; the grant's scope says to whose
    /// files (see [`Scope`]).
    Role {
        Applicant = "applicant", "aanvrager";
        Representative = "representative", "gemachtigde";
        Public = "public", "burger (eigen gegevens)";
        CaseHandler = "case_handler", "behandelaar";
        Expert = "expert", "deskundige";
        ContactCentre = "contact_centre", "klantcontactmedewerker";
        Communications = "communications", "communicatiemedewerker";
        FacilitySecurity = "facility_security", "beveiliging";
        PrivacyOfficer = "privacy_officer", "privacyteam";
        Dpo = "dpo", "functionaris gegevensbescherming (FG)";
        Hr = "hr", "HR";
        Coach = "coach", "coach";
        Employee = "employee", "medewerker";
        Manager = "manager", "leidinggevende";
        DepartmentManager = "department_manager", "afdelingsmanager";
        Admin = "admin", "beheerder";
        ElectionCommittee = "election_committee", "verkiezingscommissie";
        System = "system", "geautomatiseerd proces";
    }
}

closed_enum! {
    /// What is done with the data. Filing something new is not changing
    /// what exists: an applicant files an application or a request about
    /// themselves, and only staff move it through its life cycle.
    Action {
        Read = "read", "inzien";
        File = "file", "indienen";
        Write = "write", "wijzigen";
        Advance = "advance", "een stap in de afhandeling zetten";
        Handle = "handle", "een privacyverzoek afhandelen";
        Disclose = "disclose", "verstrekken";
        Erase = "erase", "wissen";
        Report = "report", "rapportages inzien die niet tot personen te herleiden zijn";
    }
}

closed_enum! {
    /// Whose data a grant reaches. `all` is the organisation acting on
    /// anyone's file; every other scope is a relation between the actor and
    /// the person or record, which the kernel stores and checks.
    Scope {
        Own = "self", "alleen je eigen gegevens";
        Represented = "represented", "alleen van wie hen heeft gemachtigd";
        Assigned = "assigned", "alleen de dossiers die aan hen zijn toegewezen";
        Coached = "coached", "alleen van de medewerkers die zij coachen";
        Managed = "managed", "alleen van de medewerkers in hun eigen team";
        OwnCalls = "own_calls", "alleen de gesprekken die zij zelf voerden";
        Staff = "staff", "alleen van medewerkers van de organisatie";
        All = "all", "voor hun taak";
    }
}

impl Scope {
    /// The scope's bit in a [`ScopeSet`].
    pub fn bit(self) -> u8 {
        1u8 << (self as u8)
    }

    /// Whether the relation holds of a record (a case assigned to an
    /// expert, a call an agent took) rather than of a person.
    pub fn of_record(self) -> bool {
        matches!(self, Scope::Assigned | Scope::OwnCalls)
    }

    /// What a denial says when the relation is missing, to the actor.
    pub fn missing(self) -> &'static str {
        match self {
            Scope::Own => "you may act only on your own file",
            Scope::Represented => "you hold no active authorisation (machtiging) from this person",
            Scope::Assigned => "this case is not assigned to you",
            Scope::Coached => "you do not coach this employee",
            Scope::Managed => "this employee is not in your team",
            Scope::OwnCalls => "this is not a call you took",
            Scope::Staff => "this person is not a member of staff",
            Scope::All => "no grant reaches this file",
        }
    }
}

/// A set of scopes, one bit each.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(u8);

impl ScopeSet {
    /// No scope: not granted.
    pub const EMPTY: ScopeSet = ScopeSet(0);

    /// This set and `scope`.
    #[must_use]
    pub fn with(self, scope: Scope) -> ScopeSet {
        ScopeSet(self.0 | scope.bit())
    }

    /// Whether `scope` is in the set.
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Whether the set has no scope.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The scopes in the set, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.iter().copied().filter(move |s| self.contains(*s))
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        iter.into_iter().fold(ScopeSet::EMPTY, ScopeSet::with)
    }
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().map(Scope::name)).finish()
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Scope::name).collect();
        f.write_str(&names.join(", "))
    }
}

/// A name that is not one of the register's roles.
#[derive(Debug, thiserror::Error)]
#[error("unknown role `{0}`; the roles are: {roles}", roles = Role::ALL.iter().map(|r| r.name()).collect::<Vec<_>>().join(", "))]
pub struct UnknownRole(pub String);

/// A role by its register name, e.g. `case_handler`: how a command line or
/// a form names one, refused with the list of roles when it names none.
impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(name: &str) -> Result<Role, UnknownRole> {
        Role::from_name(name).ok_or_else(|| UnknownRole(name.to_string()))
    }
}

impl Role {
    /// Roles that act for one person (themselves or whom they represent),
    /// never for the organisation: a grant of theirs must name a scope
    /// narrower than `all`.
    pub fn acts_for_a_person(self) -> bool {
        matches!(self, Role::Applicant | Role::Representative)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_parses_from_its_register_name_and_any_other_name_is_refused_with_the_roles() {
        for role in Role::ALL {
            assert_eq!(role.name().parse::<Role>().unwrap(), *role);
        }
        let refused = "case_handlr".parse::<Role>().unwrap_err().to_string();
        assert!(refused.starts_with("unknown role `case_handlr`"), "{refused}");
        assert!(Role::ALL.iter().all(|role| refused.contains(role.name())), "{refused}");
    }
}
