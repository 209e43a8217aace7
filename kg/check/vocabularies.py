"""Well-known terms of the vocabularies the graph reuses, for the ``vocabulary`` rule of ``kg check``.

The lists are deliberately small and honest. RDF, RDFS, OWL, XSD and SKOS are *closed*: their lists are complete,
so any other term of those namespaces is an error. PROV-O, ORG, Web Annotation (oa:), OWL-Time, schema.org, FOAF,
DCMI terms and VANN are *open*: the lists hold their common terms only, so an unknown term is reported only when it
is close to a known one (``oa:hasSelecter`` next to ``oa:hasSelector``), never merely for being absent. Terms the
ontology declares, or names as a super-class or super-property, count as known too.
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.namespaces import DCT, FOAF, OA, ORG, OWL, PROV, RDF, RDFS, SCHEMA, SKOS, TIME, XSD


@dataclass(frozen=True)
class Vocabulary:
    prefix: str
    namespace: str
    closed: bool
    terms: frozenset[str]


def _v(prefix: str, namespace: str, closed: bool, terms: str) -> Vocabulary:
    return Vocabulary(prefix, namespace, closed, frozenset(terms.split()))


VOCABULARIES: tuple[Vocabulary, ...] = (
    _v("rdf", RDF, True, "type Property Statement subject predicate object first rest nil List value langString "
       "HTML XMLLiteral JSON Alt Bag Seq CompoundLiteral direction language dirLangString PlainLiteral"),
    _v("rdfs", RDFS, True, "Resource Class Literal Datatype Container ContainerMembershipProperty subClassOf "
       "subPropertyOf domain range label comment member seeAlso isDefinedBy"),
    _v("owl", OWL, True, "Class Thing Nothing ObjectProperty DatatypeProperty AnnotationProperty OntologyProperty "
       "Ontology TransitiveProperty SymmetricProperty AsymmetricProperty FunctionalProperty "
       "InverseFunctionalProperty ReflexiveProperty IrreflexiveProperty Restriction AllDisjointClasses "
       "AllDisjointProperties AllDifferent NamedIndividual DeprecatedClass DeprecatedProperty Axiom "
       "NegativePropertyAssertion DataRange Annotation equivalentClass equivalentProperty disjointWith "
       "disjointUnionOf propertyDisjointWith inverseOf propertyChainAxiom members distinctMembers sameAs "
       "differentFrom onProperty onProperties someValuesFrom allValuesFrom hasValue cardinality minCardinality "
       "maxCardinality qualifiedCardinality minQualifiedCardinality maxQualifiedCardinality onClass onDataRange "
       "unionOf intersectionOf complementOf oneOf imports versionIRI versionInfo priorVersion "
       "backwardCompatibleWith incompatibleWith deprecated hasKey hasSelf annotatedSource annotatedProperty "
       "annotatedTarget withRestrictions onDatatype datatypeComplementOf sourceIndividual assertionProperty "
       "targetIndividual targetValue bottomObjectProperty topObjectProperty bottomDataProperty topDataProperty "
       "rational real"),
    _v("xsd", XSD, True, "string boolean decimal integer double float date time dateTime dateTimeStamp gYear "
       "gYearMonth gMonth gMonthDay gDay duration yearMonthDuration dayTimeDuration byte short int long "
       "unsignedByte unsignedShort unsignedInt unsignedLong positiveInteger nonNegativeInteger negativeInteger "
       "nonPositiveInteger hexBinary base64Binary anyURI language normalizedString token NMTOKEN Name NCName "
       "QName NOTATION ID IDREF ENTITY"),
    _v("skos", SKOS, True, "Concept ConceptScheme Collection OrderedCollection inScheme hasTopConcept "
       "topConceptOf prefLabel altLabel hiddenLabel notation note changeNote definition editorialNote example "
       "historyNote scopeNote semanticRelation broader narrower related broaderTransitive narrowerTransitive "
       "member memberList mappingRelation closeMatch exactMatch broadMatch narrowMatch relatedMatch"),
    _v("oa", OA, False, "Annotation Choice CssSelector CssStyle DataPositionSelector Direction FragmentSelector "
       "HttpRequestState Motivation RangeSelector ResourceSelection Selector SpecificResource State Style "
       "SvgSelector TextPositionSelector TextQuoteSelector TextualBody TimeState XPathSelector annotationService "
       "bodyValue cachedSource canonical end exact hasBody hasEndSelector hasPurpose hasScope hasSelector "
       "hasSource hasStartSelector hasState hasTarget motivatedBy prefix processingLanguage refinedBy renderedVia "
       "sourceDate sourceDateEnd sourceDateStart start styleClass styledBy suffix textDirection via"),
    _v("prov", PROV, False, "Entity Activity Agent Person Organization SoftwareAgent Plan Collection Bundle "
       "Location Influence Usage Generation Association Attribution Delegation Derivation Revision Quotation "
       "PrimarySource wasGeneratedBy wasDerivedFrom wasAttributedTo startedAtTime used wasInformedBy "
       "endedAtTime wasAssociatedWith actedOnBehalfOf alternateOf specializationOf generatedAtTime "
       "hadPrimarySource value wasQuotedFrom wasRevisionOf invalidatedAtTime wasInvalidatedBy hadMember "
       "wasStartedBy wasEndedBy invalidated influenced atLocation generated wasInfluencedBy "
       "qualifiedAttribution qualifiedAssociation qualifiedGeneration qualifiedDerivation qualifiedUsage "
       "hadRole hadPlan agent entity activity atTime"),
    _v("org", ORG, False, "Organization FormalOrganization OrganizationalUnit OrganizationalCollaboration "
       "Membership Post Role Site ChangeEvent subOrganizationOf transitiveSubOrganizationOf hasSubOrganization "
       "hasUnit unitOf memberOf hasMember member organization role hasMembership holds heldBy postIn hasPost "
       "reportsTo headOf basedAt hasSite siteOf hasPrimarySite hasRegisteredSite identifier classification "
       "purpose linkedTo location memberDuring changedBy resultedFrom originalOrganization "
       "resultingOrganization roleProperty siteAddress"),
    _v("time", TIME, False, "Instant Interval ProperInterval TemporalEntity DateTimeDescription "
       "GeneralDateTimeDescription Duration DurationDescription TemporalUnit TRS DayOfWeek MonthOfYear "
       "hasBeginning hasEnd inside inXSDDate inXSDDateTime inXSDDateTimeStamp inXSDgYear inXSDgYearMonth "
       "inDateTime inTimePosition hasTime hasDuration hasXSDDuration before after intervalBefore intervalAfter "
       "intervalMeets intervalMetBy intervalOverlaps intervalOverlappedBy intervalStarts intervalStartedBy "
       "intervalDuring intervalContains intervalFinishes intervalFinishedBy intervalEquals intervalDisjoint "
       "intervalIn year month day hour minute second timeZone unitType numericPosition hasTRS dayOfWeek "
       "dayOfYear week monthOfYear"),
    _v("schema", SCHEMA, False, "Thing Person Organization Place Country Event CreativeWork NewsArticle Article "
       "WebPage SocialMediaPosting Claim GovernmentOrganization ResearchOrganization NewsMediaOrganization "
       "Report name description url sameAs identifier author publisher datePublished dateCreated about text "
       "value appearance firstAppearance containedInPlace containsPlace location startDate endDate inLanguage "
       "headline citation alternateName"),
    _v("foaf", FOAF, False, "Agent Person Organization Group Document Image name homepage page member knows mbox "
       "depiction topic primaryTopic made maker based_near account"),
    _v("dct", DCT, False, "title description creator created modified issued publisher license language source "
       "subject identifier rights date contributor hasPart isPartOf references relation type format abstract "
       "bibliographicCitation conformsTo spatial temporal BibliographicResource Agent LicenseDocument"),
    _v("vann", "http://purl.org/vocab/vann/", False, "preferredNamespacePrefix preferredNamespaceUri"),
)


def vocabulary_of(iri: str) -> Vocabulary | None:
    """The known vocabulary whose namespace ``iri`` is in (the longest match), or None."""
    best = None
    for v in VOCABULARIES:
        if iri.startswith(v.namespace) and (best is None or len(v.namespace) > len(best.namespace)):
            best = v
    return best
